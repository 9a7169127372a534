"""The audit trail: who changed segments, content blocks and Mailchimp sync settings, with before and after.

`services.audit_record` is called by the service functions that write those objects
(`segments.services`, `personalization.services`, `integrations.mailchimp.services`), so
the admin and the API leave the same entries. `snapshots` defines what is recorded of
each object, `selectors` reads the trail, `diff` shows a rule's change line by line.
"""
