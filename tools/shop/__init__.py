"""The online shop: its data layer (schema, repositories, seed, search, carriers, outbox) and the specialists' tools.

One tool module per specialist (`catalog_tools`, `product_tools`, `promotion_tools`,
`tracking_tools`, `support_tools`, `invoice_tools`), sharing `tool_common`; arguments are
read by `parsing`, every customer-facing sentence is in `replies`, and `permissions`
decides who may call which tool.
"""
