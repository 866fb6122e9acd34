"""Single sign-on per tenant (OpenID Connect through django-allauth). See README "Single sign-on"."""
