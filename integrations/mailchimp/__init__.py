"""Mailchimp sync: segments become static segments (tags) of one audience (spec mailchimp.md)."""
