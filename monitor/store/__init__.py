"""The database: engine set-up, the schema (models), upserts and migrations."""
