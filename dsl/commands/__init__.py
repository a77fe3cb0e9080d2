"""dsl.commands"""
