"""Stage 1 at run time: the tokenizer encoding (``encoding``) and the ONNX multi-task model
(``runtime``), no torch. Training, export and the generator live in ``models/`` of a source
checkout; the committed artifact travels in the wheel as ``intakeflow.pipeline.model.artifacts``."""
