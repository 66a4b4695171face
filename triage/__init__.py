"""triage: inside-sales lead triage. The domain here imports neither textual nor peewee."""
