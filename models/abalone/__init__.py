"""The lab-2 abalone model: synthetic data, training, packaging, SageMaker inference contract."""
