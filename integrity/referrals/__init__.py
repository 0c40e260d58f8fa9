"""Referrals of cases to the institutions that should act, their deadlines and answers."""
