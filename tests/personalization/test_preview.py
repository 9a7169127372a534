"""personalization.preview: the preview choice in the session and the viewer of a request."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from personalization.preview import (
    PREVIEW_SESSION_KEY,
    PreviewChoice,
    request_viewer,
    session_preview_choice,
)
from tests.accounts.factories import ContactFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory

pytestmark = pytest.mark.django_db


def _request(user, stored=None):
    request = RequestFactory().get("/")
    request.user = user
    request.session = {} if stored is None else {PREVIEW_SESSION_KEY: stored}
    return request


@pytest.mark.parametrize(
    "stored",
    [None, "segment", ["segment", 1], {"kind": "boss", "id": 1}, {"kind": "segment", "id": "1"}, {"id": 1}],
)
def test_a_malformed_session_value_is_no_preview(stored):
    assert session_preview_choice(_request(AnonymousUser(), stored)) is None


def test_a_stored_choice_reads_back():
    stored = PreviewChoice(kind="contact", object_id=7).as_session()
    assert session_preview_choice(_request(AnonymousUser(), stored)) == PreviewChoice(kind="contact", object_id=7)


def test_a_marketer_gets_the_preview_viewer_once_per_request(marketer, django_assert_num_queries):
    segment = SegmentFactory(name="Dealers")
    request = _request(marketer, {"kind": "segment", "id": segment.pk})
    viewer = request_viewer(request)
    assert (viewer.segment_ids, viewer.is_authenticated, viewer.is_preview) == (frozenset({segment.pk}), True, True)
    with django_assert_num_queries(0):
        assert request_viewer(request) is viewer


def test_a_contact_preview_has_the_contacts_segments(marketer):
    contact = ContactFactory()
    segment = SegmentFactory(name="Florists")
    SegmentMembershipFactory(segment=segment, contact=contact)
    viewer = request_viewer(_request(marketer, {"kind": "contact", "id": contact.pk}))
    assert (viewer.segment_ids, viewer.contact_id) == (frozenset({segment.pk}), contact.pk)
    assert viewer.preview_label == f"Viewing as contact {contact.email} ({contact.company.name})"


def test_anyone_else_gets_their_own_viewer_whatever_the_session_says():
    contact = ContactFactory()
    segment = SegmentFactory(name="Dealers")
    viewer = request_viewer(_request(contact, {"kind": "segment", "id": segment.pk}))
    assert (viewer.is_preview, viewer.contact_id, viewer.segment_ids) == (False, contact.pk, frozenset())
    anonymous = request_viewer(_request(AnonymousUser(), {"kind": "anonymous", "id": None}))
    assert anonymous.is_preview is False
