"""Code SFT generators: instruction from code, code from instruction, an enhanced instruction from a chat, and new
instructions in the style of a few examples. DataFlow's names, inputs and output columns; our own prompts."""

from __future__ import annotations

import random
import re
from typing import Any

import pyarrow as pa
from pydantic import Field

from operators.base import Operator, OperatorContext, OperatorKind, OperatorResult
from operators.prompted.base import ERROR_OUTPUT, LLMConfig, LLMMapper, LLMOperatorMixin, blank
from operators.prompted.templates import fill
from operators.registry import register
from operators.services.llm import ChatRequest, LLMReply

FENCE = re.compile(r"```[\w+-]*[ \t]*\n(.*?)(?:```|\Z)", re.S)
LABEL = re.compile(r"^\s*\**\s*(?:new task|task|instruction)\s*\**\s*:\s*\**\s*", re.I)


def code_of(reply: str | None) -> str | None:
    """The code in a model's answer: the longest fenced block (a cut-off fence counts), else the whole answer."""
    if reply is None or not reply.strip():
        return None
    blocks = [block.strip("\n") for block in FENCE.findall(reply)]
    return max(blocks, key=len) if blocks else reply.strip()


def instruction_of(reply: str | None) -> str | None:
    """The instruction in a model's answer: without a leading "Instruction:" label, trimmed."""
    if reply is None or not reply.strip():
        return None
    return LABEL.sub("", reply.strip(), count=1).strip() or None


class CodeLLMConfig(LLMConfig):
    """Settings of the code generators (longer completions than the default)."""

    max_tokens: int = Field(384, ge=1, description="Largest completion per request")


@register
class CodeCodeToInstructionGenerator(LLMMapper):
    """Write, for each row's code, the instruction it answers."""

    name = "CodeCodeToInstructionGenerator"
    kind = OperatorKind.GENERATE
    description = "LLM: the natural-language programming instruction each row's code answers (DataFlow)."
    inputs = ("code",)
    outputs = ("generated_instruction", ERROR_OUTPUT)
    prompt_file = "code_to_instruction"
    Config = CodeLLMConfig

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The instruction text."""
        return {"generated_instruction": instruction_of(reply.text)}


@register
class CodeInstructionToCodeGenerator(LLMMapper):
    """Write code for each row's instruction."""

    name = "CodeInstructionToCodeGenerator"
    kind = OperatorKind.GENERATE
    description = "LLM: a Python solution for each row's instruction; the code block of the answer (DataFlow)."
    inputs = ("instruction",)
    outputs = ("generated_code", ERROR_OUTPUT)
    prompt_file = "instruction_to_code"
    Config = CodeLLMConfig

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The code block of the answer."""
        return {"generated_code": code_of(reply.text)}


def render_messages(messages: Any) -> str:
    """A chat (list of ``{role, content}``) as ``role: content`` lines; text stays as it is."""
    if isinstance(messages, list):
        return "\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" if isinstance(m, dict) else str(m)
                         for m in messages)
    return "" if messages is None else str(messages)


@register
class CodeEnhancementInstructionGenerator(LLMMapper):
    """Rewrite each row's chat (``messages``) into one clear, complete programming instruction."""

    name = "CodeEnhancementInstructionGenerator"
    kind = OperatorKind.GENERATE
    description = "LLM: one self-contained programming instruction from each row's chat messages (DataFlow)."
    inputs = ("messages",)
    outputs = ("generated_instruction", ERROR_OUTPUT)
    prompt_file = "instruction_enhancement"
    Config = CodeLLMConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The rewrite request; rows without messages are skipped."""
        text = render_messages(row["messages"])
        return None if blank(text) else self.chat_request({"messages": text})

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The instruction text."""
        return {"generated_instruction": instruction_of(reply.text)}


class InstructionSynthesisConfig(CodeLLMConfig):
    """DataFlow's few-shot settings."""

    num_few_shot: int = Field(3, ge=1, description="Example instructions shown per request")
    num_generate: int = Field(10, ge=1, description="New instructions written per batch")
    temperature: float = 0.8


@register
class CodeInstructionGenerator(LLMOperatorMixin, Operator):
    """Write ``num_generate`` new instructions, each from ``num_few_shot`` examples drawn from the batch's prompts.

    As DataFlow's, the answer is a new table of the new instructions only (column ``generated_instruction``).
    """

    name = "CodeInstructionGenerator"
    kind = OperatorKind.GENERATE
    description = ("LLM: num_generate new programming instructions in the style of num_few_shot examples drawn "
                   "from the batch; answers with the new rows only (DataFlow).")
    inputs = ("prompt",)
    outputs = ("generated_instruction", ERROR_OUTPUT)
    row_wise = False
    prompt_file = "instruction_synthesis"
    Config = InstructionSynthesisConfig

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Draw examples (seeded), ask once per new instruction, return the new rows."""
        cfg = self.config
        pool = [p for p in self.text(batch, "prompt").to_pylist() if not blank(p)]
        rng = random.Random(cfg.seed)
        templates = self.templates()
        requests: list[ChatRequest | None] = []
        for k in range(cfg.num_generate if pool else 0):
            shots = rng.sample(pool, min(cfg.num_few_shot, len(pool)))
            examples = "\n\n".join(f"Task {i + 1}: {shot.strip()}" for i, shot in enumerate(shots))
            requests.append(ChatRequest.of(fill(templates["user"], {"examples": examples}), templates["system"],
                                           sampling=self.sampling(), sample_index=k))
        replies = self.ask(ctx, requests)
        failed = self.enforce_failure_rate(replies, ctx)
        columns: dict[str, pa.Array] = {}
        if "_partition" in batch.column_names and batch.num_rows:
            columns["_partition"] = pa.array([batch.column("_partition")[0].as_py()] * len(replies), pa.string())
        if "_row_id" in batch.column_names:
            columns["_row_id"] = pa.array(range(len(replies)), pa.int64())
        columns[self.out("generated_instruction")] = pa.array(
            [instruction_of(r.text) if r.ok else None for r in replies], pa.string())
        columns[self.out(ERROR_OUTPUT)] = pa.array([r.error for r in replies], pa.string())
        return OperatorResult(table=pa.table(columns), metrics={"generated": len(replies), "failed_requests": failed})
