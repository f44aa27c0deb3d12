from django.apps import AppConfig


class StudentConfig(AppConfig):  # type: ignore[misc]
    name = "tests.edx_standin.student"
    label = "student"
