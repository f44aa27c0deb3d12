"""End-to-end proof on loopback: two real Django servers, real OAuth2, real social-auth."""
