"""vivid's model zoo: shipped weights and loaders for models a user brings as files (:mod:`vivid.zoo.model_files`)."""
