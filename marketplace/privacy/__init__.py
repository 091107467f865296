"""A family's rights over its data: its own export and its erasure. The one package allowed to touch every
domain; nothing below it imports it."""
