"""Pure domain layer: types, event codecs and risk maths. No Qt, no I/O, Decimal for money."""
