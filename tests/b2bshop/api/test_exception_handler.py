from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from b2bshop.api.exception_handler import api_exception_handler
from b2bshop.exceptions import ApplicationError, ErrorDetail


class ApiExceptionHandlerTests:
    def test_application_error_keeps_its_paths(self):
        error = ApplicationError("The rule is invalid.", errors=[ErrorDetail(path="/all/1/op", message="bad op")])
        response = api_exception_handler(error, {})
        assert response.status_code == 400
        assert response.data == {
            "message": "The rule is invalid.",
            "errors": [{"path": "/all/1/op", "message": "bad op"}],
        }

    def test_nested_serializer_errors_become_json_pointers(self):
        error = exceptions.ValidationError({"rule": {"all": [{"op": ["Unknown operator."]}]}, "name": ["Required."]})
        response = api_exception_handler(error, {})
        assert response.status_code == 400
        assert {"path": "/rule/all/0/op", "message": "Unknown operator."} in response.data["errors"]
        assert {"path": "/name", "message": "Required."} in response.data["errors"]

    def test_django_validation_error_is_a_400(self):
        response = api_exception_handler(DjangoValidationError({"email": ["Enter a valid email address."]}), {})
        assert response.status_code == 400
        assert response.data["errors"] == [{"path": "/email", "message": "Enter a valid email address."}]

    def test_not_found_keeps_the_error_shape(self):
        response = api_exception_handler(Http404(), {})
        assert response.status_code == 404
        assert response.data["errors"] == []
        assert response.data["message"]

    def test_parse_error_is_a_400_with_a_message(self):
        response = api_exception_handler(exceptions.ParseError("JSON parse error"), {})
        assert response.status_code == 400
        assert "could not be read" in response.data["message"]

    def test_unhandled_errors_are_left_to_django(self):
        assert api_exception_handler(RuntimeError("bug"), {}) is None
