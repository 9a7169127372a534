"""ERP connections: scoped API tokens for ERP integrations.

The plain token exists only in the return value of `erp_connection_create`; the
database keeps its SHA-256 digest, so a lost token is replaced, never recovered.
"""

import secrets

from integrations.models import ErpConnection

TOKEN_PREFIX = "erp_"


def erp_connection_create(*, name: str) -> tuple[ErpConnection, str]:
    """Create a connection with a new random token; return it with the plain token."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    connection = ErpConnection(name=name.strip(), token_digest=ErpConnection.digest(token))
    connection.full_clean()
    connection.save()
    return connection, token
