"""dsl.checks"""
