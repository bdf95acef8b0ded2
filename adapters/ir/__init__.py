"""IR adapters: lexical (BM25, PRF), dense and static embedders, learned sparse, multi-vector, rerankers."""
