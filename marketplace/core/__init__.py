"""Plumbing every domain uses and that knows no domain: configuration, the database and its types,
authorization, roles and scopes, state machines, money, languages, errors, request guards, jobs, audit."""
