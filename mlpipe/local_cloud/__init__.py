"""The embedded local cloud: moto plus our runtimes (Glue, EMR, SageMaker, SFN, scheduler)."""
