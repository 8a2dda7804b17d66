"""Quality measurement (seed 11) and the eval-gated model update's gate suite (seed 15)."""
