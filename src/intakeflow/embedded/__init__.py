"""Throw-away local servers (FHIR, PostgreSQL) for tests and the demo; never for production."""
