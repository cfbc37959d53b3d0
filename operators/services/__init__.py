"""The services an operator may use through its context (``ctx.llm``, ``ctx.embed``…), as protocols."""
