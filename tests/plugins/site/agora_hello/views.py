from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


def hello(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "agora_hello/hello.html", {})
