"""Segment offers (docs/offers.md): promotions, shipping costs and payment methods per segment, combined in
one quote (`orders.offers.quote.cart_quote`) that the cart, the checkout, the API and `order_place` share."""
