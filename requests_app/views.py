"""Pages of the board (being written)."""

from django.http import Http404


def _todo(request, **kwargs):
    raise Http404("not yet")


request_list = roadmap = request_create = similar = request_detail = request_edit = vote = _todo
vote_record = status_change = merge = comment_create = comment_edit = comment_delete = _todo
