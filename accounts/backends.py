"""The login backend: Django's password check, and a request's user loaded as the shop needs it.

Every shop page needs the logged-in contact with its company (delivery profile, prices,
header). Django's ModelBackend loads the plain user, and the shop then loaded it again
as a `Contact` with its company: one query per request more than needed.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from accounts.models import Contact, User


class ShopUserBackend(ModelBackend):
    """ModelBackend whose `get_user` returns a contact as `Contact` with its company, in one query.

    Staff users (no company) stay plain `User` objects.
    """

    def get_user(self, user_id: object) -> User | None:
        # The base manager: the proxy's own manager would leave staff (no company) out.
        user = Contact._base_manager.select_related("company").filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        if user.company_id is None:
            return _as_user(user)
        return user


def _as_user(contact: Contact) -> User:
    """The same row as a plain `User` (a staff user is no contact); no query."""
    user = User(**{field.attname: getattr(contact, field.attname) for field in User._meta.concrete_fields})
    user._state.adding = False
    user._state.db = contact._state.db
    return user
