"""Members, invitations, sessions and tokens: who may enter and in which role."""
