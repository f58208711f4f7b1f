"""Accounts API: sign in for a token, list and revoke one's tokens, who am I, my teams."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    LoginInput,
    MeOutput,
    TeamOutput,
    TokenCreatedOutput,
    TokenOutput,
)
from accounts.http import AuthenticatedRequest
from config.api.serializers import render, validated
from config.api.throttling import LoginRateThrottle


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = "Too many failed logins for this account from this address; try later."
    # Set per instance, as DRF's Throttled does: DRF's handler turns it into Retry-After.
    wait: float


class LoginView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        request=LoginInput,
        responses={201: TokenCreatedOutput},
        auth=[],
        examples=[
            OpenApiExample(
                "Sign in",
                request_only=True,
                value={"username": "partner_a", "password": "…", "name": "newsroom sync"},
            )
        ],
    )
    def post(self, request: Request, version: str) -> Response:
        data = validated(LoginInput, request)
        django_request = request._request
        user = authenticate(django_request, username=data["username"], password=data["password"])
        if user is None:
            if getattr(django_request, "axes_locked_out", False):
                error = LockedOut()
                error.wait = settings.AXES_COOLOFF_TIME.total_seconds()  # Retry-After
                raise error
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        exceptions.ErrorDetail(
                            "Wrong username or password.", code="invalid_credentials"
                        )
                    ]
                }
            )
        row, token = services.token_create(user=user, name=data["name"])
        # As a session login would: last_login, and django-axes' record of the success.
        user_logged_in.send(sender=type(user), request=django_request, user=user)
        body = render(TokenCreatedOutput, {"row": row, "token": token}, request)
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["auth"])
class TokenViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own live tokens; revoking one makes it stop working at once."""

    request: AuthenticatedRequest  # DRF's default IsAuthenticated let it in

    serializer_class = TokenOutput
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"
    filter_backends: list[Any] = []
    # Never the primary key: a token's key is its digest, and the cursor would carry it.
    ordering = ("-created",)

    def get_queryset(self):
        return selectors.token_list(user=self.request.user)

    @extend_schema(operation_id="auth_tokens_revoke", request=None, responses={204: None})
    def destroy(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        services.token_revoke(token=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["auth"])
class MeView(APIView):
    """Who the token belongs to, and their teams and roles."""

    @extend_schema(operation_id="me_retrieve", responses=MeOutput)
    def get(self, request: AuthenticatedRequest, version: str) -> Response:
        memberships = selectors.membership_list(user=request.user)
        return Response(render(MeOutput, request.user, request, memberships=memberships))


@extend_schema(tags=["auth"])
class TeamViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's teams and their members (ids to name recipients and officers)."""

    request: AuthenticatedRequest  # DRF's default IsAuthenticated let it in

    serializer_class = TeamOutput
    filter_backends: list[Any] = []
    ordering = ("name",)

    def get_queryset(self):
        return selectors.team_list(user=self.request.user)
