"""dsl.rules"""
