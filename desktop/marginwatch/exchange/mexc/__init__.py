"""MEXC futures (contract API), read-only: signed REST snapshot and the private WebSocket."""
