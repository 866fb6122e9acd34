from django.apps import AppConfig


class AgoraHelloConfig(AppConfig):
    name = "agora_hello"
    label = "agora_hello"
