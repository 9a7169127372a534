"""The local Mailchimp stand-in (tests, the embedded mode, `manage.py mailchimp_standin`)."""

from integrations.mailchimp.standin.server import MEMBER_ERRORS, Call, Fault, MailchimpStandin, subscriber_hash

__all__ = ["MEMBER_ERRORS", "Call", "Fault", "MailchimpStandin", "subscriber_hash"]
