"""Publishing a reviewed case: the public draft, its leak check and the published revisions."""
