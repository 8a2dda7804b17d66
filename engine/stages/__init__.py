"""Pipeline stages: a Protocol per stage (`engine.stages.base`) and one module per backend."""
