"""The review workflow: moving a case through its states, comments and requests, conflicts of
interest, and assignment; its API and the review team's pages."""
