"""The multi-task network: one MiniLM encoder, three heads (training and export only)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn
from transformers import BertConfig, BertModel

from intakeflow.pipeline.model.encoding import N_SHAPES
from intakeflow.spec import INSURANCE_BIO, INTENTS, PHI_BIO


class MultiTaskModel(nn.Module):
    """Intent (mean pooled), PHI BIO and insurance BIO from one forward pass.

    Shape embeddings (case and character class of the original text) are added to the
    word embeddings, since the uncased tokenizer loses exactly what names and IDs show.
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.encoder = BertModel(config, add_pooling_layer=False)
        hidden = config.hidden_size
        self.shape_emb = nn.Embedding(N_SHAPES, hidden)
        nn.init.normal_(self.shape_emb.weight, std=0.02)
        self.dropout = nn.Dropout(0.1)
        self.intent_head = nn.Linear(hidden, len(INTENTS))
        self.phi_head = nn.Linear(hidden, len(PHI_BIO))
        self.ins_head = nn.Linear(hidden, len(INSURANCE_BIO))

    def forward(
        self, input_ids: torch.Tensor, shape_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        embeds = self.encoder.embeddings.word_embeddings(input_ids) + self.shape_emb(shape_ids)
        hidden = self.encoder(inputs_embeds=embeds, attention_mask=attention_mask).last_hidden_state
        hidden = self.dropout(hidden)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.intent_head(pooled), self.phi_head(hidden), self.ins_head(hidden)


def load_base(encoder_dir: Path, tiny: bool = False, layers: int = 0) -> MultiTaskModel:
    """Build the model from the base encoder folder (config.json + model.safetensors).

    ``layers`` keeps only the bottom N transformer layers (latency on a CPU is linear in
    depth); ``tiny`` builds a 2-layer, randomly initialised variant for CPU tests.
    """
    cfg_dict = json.loads((encoder_dir / "config.json").read_text())
    if layers:
        cfg_dict["num_hidden_layers"] = layers
    if tiny:
        cfg_dict.update(num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=2)
    config = BertConfig(**{k: v for k, v in cfg_dict.items() if not k.startswith("_")})
    model = MultiTaskModel(config)
    if not tiny:
        from safetensors.torch import load_file

        state = load_file(str(encoder_dir / "model.safetensors"))
        keep = cfg_dict["num_hidden_layers"]
        state = {
            k: v.float()
            for k, v in state.items()
            if not k.startswith("pooler.") and not (k.startswith("encoder.layer.") and int(k.split(".")[2]) >= keep)
        }
        missing, unexpected = model.encoder.load_state_dict(state, strict=False)
        # position_ids is a buffer some versions keep and others drop
        unexpected = [k for k in unexpected if not k.endswith("position_ids")]
        if unexpected or [k for k in missing if not k.endswith("position_ids")]:
            raise RuntimeError(f"base encoder mismatch: missing={missing} unexpected={unexpected}")
    return model
