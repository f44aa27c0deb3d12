"""A real SAML identity provider for the e2e tests: pysaml2's IdP behind a small WSGI app."""
