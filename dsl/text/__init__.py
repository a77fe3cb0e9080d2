"""dsl.text"""
