"""Actions of the demo café scenario (scenarios/demo.yaml)."""
