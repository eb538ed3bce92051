"""The message pipeline: text in, results out, no database and no Airflow.

``core`` runs the stages (:class:`Pipeline`, :class:`PipelineConfig`); ``model`` the ONNX
model (stage 1); ``recognizers`` and ``spoken`` the validated formats (stage 2); ``merge``,
``boundary`` and ``decoding`` reconcile their spans; ``fallback`` the optional LLM (stage
3); ``anonymizers`` the redacted text; ``insurance`` and ``payers`` the insurance JSON;
``routing`` the calibrated intent and queue; ``processes`` runs it in spawned processes.
"""

from intakeflow.pipeline.core import Pipeline, PipelineConfig

__all__ = ["Pipeline", "PipelineConfig"]
