"""The public JSON API (v1); it calls the same services and policies as the pages."""
