"""Circuits: scalar expression graphs read from a spec, worked forward and backward (docs/circuits.md)."""
