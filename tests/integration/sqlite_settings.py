"""The real settings (SQLite branch included) for the processes of the SQLite concurrency test.

Only the password hasher changes, as in the test process (tests/conftest.py): seventeen logins with the
production hasher would take longer than the whole concurrent run the test is about.
"""

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
