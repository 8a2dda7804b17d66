"""The conversation pipeline: prompt building, context fitting, sentence splitting and turn running."""
