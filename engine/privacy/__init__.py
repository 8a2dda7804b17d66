"""What may leave this machine: the personal-data scrubber, the consent store and the "nothing connects" rule."""
