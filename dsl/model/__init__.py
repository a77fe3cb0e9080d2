"""dsl.model"""
