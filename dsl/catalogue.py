"""Roboconf's error catalogue: code, level and English message (from ErrorCode.java and en_EN.json).

Generated once from ``specs/error-codes.md``; the levels and texts are Roboconf's own so that
users moving from the Java tooling recognise every message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Level(str, Enum):
    """Severity of a problem; Roboconf has only SEVERE (error) and WARNING."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What Roboconf says about one error code."""

    code: str
    level: Level
    message: str


CODES: dict[str, CodeInfo] = {
    "P_IO_ERROR": CodeInfo("P_IO_ERROR", Level.ERROR, "An I/O exception occurred, parsing was interrupted."),
    "P_ONE_BLOCK_PER_LINE": CodeInfo(
        "P_ONE_BLOCK_PER_LINE",
        Level.ERROR,
        "Extra-characters were found after the semi-colon. You cannot have more than one block per line.",
    ),
    "P_PROPERTY_ENDS_WITH_SEMI_COLON": CodeInfo(
        "P_PROPERTY_ENDS_WITH_SEMI_COLON", Level.ERROR, "A property definition must end with a semi-colon."
    ),
    "P_IMPORT_ENDS_WITH_SEMI_COLON": CodeInfo(
        "P_IMPORT_ENDS_WITH_SEMI_COLON", Level.ERROR, "An import declaration must end with a semi-colon."
    ),
    "P_O_C_BRACKET_EXTRA_CHARACTERS": CodeInfo(
        "P_O_C_BRACKET_EXTRA_CHARACTERS", Level.ERROR, "Extra-characters were found after the opening curly bracket."
    ),
    "P_C_C_BRACKET_EXTRA_CHARACTERS": CodeInfo(
        "P_C_C_BRACKET_EXTRA_CHARACTERS", Level.ERROR, "Extra-characters were found after the closing curly bracket."
    ),
    "P_O_C_BRACKET_MISSING": CodeInfo(
        "P_O_C_BRACKET_MISSING",
        Level.ERROR,
        "A facet, component or instance name must be followed by an opening curly bracket.",
    ),
    "P_C_C_BRACKET_MISSING": CodeInfo(
        "P_C_C_BRACKET_MISSING",
        Level.ERROR,
        "A facet, component or instance declaration must end with a closing curly bracket.",
    ),
    "P_UNRECOGNIZED_BLOCK": CodeInfo(
        "P_UNRECOGNIZED_BLOCK",
        Level.ERROR,
        "Unrecognized block. 'import', 'facet', 'instanceof' or a component name were expected.",
    ),
    "P_INVALID_PROPERTY": CodeInfo("P_INVALID_PROPERTY", Level.ERROR, "Syntax error: a property was expected."),
    "P_INVALID_PROPERTY_OR_INSTANCE": CodeInfo(
        "P_INVALID_PROPERTY_OR_INSTANCE", Level.ERROR, "Syntax error: a property or an instance was expected."
    ),
    "P_INVALID_FILE_TYPE": CodeInfo(
        "P_INVALID_FILE_TYPE", Level.ERROR, "Invalid file type. It mixes facet, component and instance definitions."
    ),
    "P_EMPTY_FILE": CodeInfo("P_EMPTY_FILE", Level.WARNING, "The file is empty."),
    "PM_INVALID_BLOCK_TYPE": CodeInfo("PM_INVALID_BLOCK_TYPE", Level.ERROR, "Validation failed. Unknown block type."),
    "PM_UNKNOWN_PROPERTY_NAME": CodeInfo("PM_UNKNOWN_PROPERTY_NAME", Level.WARNING, "Unknown property name."),
    "PM_FORBIDDEN_NAME": CodeInfo(
        "PM_FORBIDDEN_NAME", Level.ERROR, "This name is not allowed for a facet or a component."
    ),
    "PM_EMPTY_PROPERTY_VALUE": CodeInfo("PM_EMPTY_PROPERTY_VALUE", Level.ERROR, "The property value is missing."),
    "PM_EMPTY_IMPORT_LOCATION": CodeInfo(
        "PM_EMPTY_IMPORT_LOCATION", Level.ERROR, "The import location must be specified."
    ),
    "PM_EMPTY_FACET_NAME": CodeInfo("PM_EMPTY_FACET_NAME", Level.ERROR, "The facet name is missing."),
    "PM_EMPTY_REFERENCED_NAME": CodeInfo("PM_EMPTY_REFERENCED_NAME", Level.ERROR, "A name is missing in the list."),
    "PM_EMPTY_COMPONENT_NAME": CodeInfo("PM_EMPTY_COMPONENT_NAME", Level.ERROR, "The component name is missing."),
    "PM_EMPTY_VARIABLE_NAME": CodeInfo("PM_EMPTY_VARIABLE_NAME", Level.ERROR, "A variable name is missing."),
    "PM_INVALID_CHILD_NAME": CodeInfo(
        "PM_INVALID_CHILD_NAME",
        Level.ERROR,
        "Invalid child name. As a reminder, children names must be separated by a comma. Expected pattern: [a-zA-Z_](\\w|-|\\.)*",
    ),
    "PM_INVALID_NAME": CodeInfo(
        "PM_INVALID_NAME", Level.ERROR, "An invalid name was found. Expected pattern: [a-zA-Z_](\\w|-|\\.)*"
    ),
    "PM_INVALID_EXPORT_COMPLEX_VALUE": CodeInfo(
        "PM_INVALID_EXPORT_COMPLEX_VALUE",
        Level.ERROR,
        "An exported variable's value is incorrectly spelled. A quote is missing.",
    ),
    "PM_INVALID_EXPORTED_VAR_NAME": CodeInfo(
        "PM_INVALID_EXPORTED_VAR_NAME",
        Level.ERROR,
        "Invalid variable name. Exported variable names must be separated by a comma.",
    ),
    "PM_EXTERNAL_IS_KEYWORD_FOR_IMPORTS": CodeInfo(
        "PM_EXTERNAL_IS_KEYWORD_FOR_IMPORTS", Level.ERROR, "'external' is a keyword reserved for imports."
    ),
    "PM_INVALID_IMPORTED_VAR_NAME": CodeInfo(
        "PM_INVALID_IMPORTED_VAR_NAME",
        Level.ERROR,
        "Invalid variable name. Imported variable names must be separated by a comma.",
    ),
    "PM_INVALID_INSTALLER_NAME": CodeInfo(
        "PM_INVALID_INSTALLER_NAME", Level.ERROR, "Invalid installer name. Expected pattern: [a-zA-Z_](\\w|-| |\\.)*"
    ),
    "PM_INVALID_INSTANCE_ELEMENT": CodeInfo(
        "PM_INVALID_INSTANCE_ELEMENT",
        Level.ERROR,
        "An instance can only contain properties, other instances, blank lines or comments.",
    ),
    "PM_INVALID_INSTANCE_COUNT": CodeInfo(
        "PM_INVALID_INSTANCE_COUNT", Level.ERROR, "The 'count' property for instances must be a positive integer."
    ),
    "PM_USELESS_INSTANCE_COUNT": CodeInfo(
        "PM_USELESS_INSTANCE_COUNT",
        Level.WARNING,
        "The 'count' property is useless here, the default value is already 1.",
    ),
    "PM_PROPERTY_NOT_APPLIABLE": CodeInfo(
        "PM_PROPERTY_NOT_APPLIABLE", Level.ERROR, "This property does not apply to this element."
    ),
    "PM_DUPLICATE_PROPERTY": CodeInfo(
        "PM_DUPLICATE_PROPERTY", Level.ERROR, "This property was already set for this element."
    ),
    "PM_MISSING_INSTANCE_NAME": CodeInfo("PM_MISSING_INSTANCE_NAME", Level.ERROR, "The 'name' property is missing."),
    "PM_INVALID_INSTANCE_NAME": CodeInfo(
        "PM_INVALID_INSTANCE_NAME", Level.ERROR, "Invalid instance name. Expected pattern: [a-zA-Z_](\\w|-| |\\.)*"
    ),
    "PM_DOT_IS_NOT_ALLOWED": CodeInfo(
        "PM_DOT_IS_NOT_ALLOWED", Level.ERROR, "Component and facet names cannot contain a dot."
    ),
    "PM_INCOMPLETE_IMPORTED_VAR_NAME": CodeInfo(
        "PM_INCOMPLETE_IMPORTED_VAR_NAME",
        Level.ERROR,
        "Incomplete variable name. Imported variable names must be prefixed by a component or facet name, followed by a dot.",
    ),
    "PM_MALFORMED_COMMENT": CodeInfo(
        "PM_MALFORMED_COMMENT", Level.WARNING, "A comment delimiter is missing. It will be added at serialization time."
    ),
    "PM_MALFORMED_BLANK": CodeInfo(
        "PM_MALFORMED_BLANK",
        Level.WARNING,
        "A blank section contains non-blank characters. It will be ignored at serialization time.",
    ),
    "CO_NOT_A_GRAPH": CodeInfo("CO_NOT_A_GRAPH", Level.ERROR, "A graph file was expected."),
    "CO_NOT_INSTANCES": CodeInfo("CO_NOT_INSTANCES", Level.ERROR, "An instance definition was expected."),
    "CO_UNREACHABLE_FILE": CodeInfo("CO_UNREACHABLE_FILE", Level.ERROR, "A configuration file could not be read."),
    "CO_ALREADY_DEFINED_FACET": CodeInfo(
        "CO_ALREADY_DEFINED_FACET", Level.ERROR, "This facet was defined more than once."
    ),
    "CO_ALREADY_DEFINED_COMPONENT": CodeInfo(
        "CO_ALREADY_DEFINED_COMPONENT", Level.ERROR, "This component was defined more than once."
    ),
    "CO_CYCLE_IN_COMPONENTS_INHERITANCE": CodeInfo(
        "CO_CYCLE_IN_COMPONENTS_INHERITANCE",
        Level.ERROR,
        "A component directly or indirectly extends itself. Such a cycle is forbidden.",
    ),
    "CO_ALREADY_DEFINED_INSTANCE": CodeInfo(
        "CO_ALREADY_DEFINED_INSTANCE", Level.ERROR, "This instance was defined more than once."
    ),
    "CO_CONFLICTING_INFERRED_INSTANCE": CodeInfo(
        "CO_CONFLICTING_INFERRED_INSTANCE",
        Level.ERROR,
        "An inferred instance (count = ...) is in conflict with another instance. They both have the same name and path.",
    ),
    "CO_INEXISTING_CHILD": CodeInfo(
        "CO_INEXISTING_CHILD", Level.ERROR, "No child matching this name (component or facet) was found."
    ),
    "CO_INEXISTING_COMPONENT": CodeInfo(
        "CO_INEXISTING_COMPONENT", Level.ERROR, "No component with this name was found."
    ),
    "CO_INEXISTING_FACET": CodeInfo("CO_INEXISTING_FACET", Level.ERROR, "No facet with this name was found."),
    "CO_CONFLICTING_NAME": CodeInfo(
        "CO_CONFLICTING_NAME",
        Level.ERROR,
        "A facet and a component have the same name. This can lead to ambiguities when resolving children.",
    ),
    "CO_GRAPH_COULD_NOT_BE_BUILT": CodeInfo(
        "CO_GRAPH_COULD_NOT_BE_BUILT", Level.ERROR, "The graph(s) could not be built."
    ),
    "RM_MISSING_APPLICATION_NAME": CodeInfo(
        "RM_MISSING_APPLICATION_NAME", Level.ERROR, "The application name is missing."
    ),
    "RM_INVALID_APPLICATION_NAME": CodeInfo(
        "RM_INVALID_APPLICATION_NAME",
        Level.ERROR,
        "The application name is invalid. Expected pattern: [a-zA-Z_](\\w|[-.() ])*",
    ),
    "RM_MISSING_APPLICATION_DSL_ID": CodeInfo(
        "RM_MISSING_APPLICATION_DSL_ID",
        Level.WARNING,
        "The DSL identifier to read model files is missing. The default parser will be used.",
    ),
    "RM_MISSING_APPLICATION_VERSION": CodeInfo(
        "RM_MISSING_APPLICATION_VERSION", Level.ERROR, "The application version is missing."
    ),
    "RM_MISSING_APPLICATION_GEP": CodeInfo(
        "RM_MISSING_APPLICATION_GEP", Level.ERROR, "The entry-point for graph(s) is missing."
    ),
    "RM_MISSING_APPLICATION_GRAPHS": CodeInfo(
        "RM_MISSING_APPLICATION_GRAPHS", Level.ERROR, "An application must have a graph definition."
    ),
    "RM_MISSING_APPLICATION_EXPORT_PREFIX": CodeInfo(
        "RM_MISSING_APPLICATION_EXPORT_PREFIX",
        Level.ERROR,
        "The application exports external variables but did not specify the external prefix property.",
    ),
    "RM_INVALID_APPLICATION_VERSION": CodeInfo(
        "RM_INVALID_APPLICATION_VERSION",
        Level.ERROR,
        "The application version is invalid. Expected pattern: <major>.<minor>.<patch?>(.|-)<qualifier?>.",
    ),
    "RM_DOT_IS_NOT_ALLOWED": CodeInfo(
        "RM_DOT_IS_NOT_ALLOWED", Level.ERROR, "Component and facet names cannot contain a dot."
    ),
    "RM_EMPTY_COMPONENT_NAME": CodeInfo("RM_EMPTY_COMPONENT_NAME", Level.ERROR, "The component name cannot be empty."),
    "RM_EMPTY_FACET_NAME": CodeInfo("RM_EMPTY_FACET_NAME", Level.ERROR, "The facet name cannot be empty."),
    "RM_INVALID_COMPONENT_NAME": CodeInfo(
        "RM_INVALID_COMPONENT_NAME", Level.ERROR, "Invalid component name. Expected pattern: [a-zA-Z_](\\w|-| |\\.)*"
    ),
    "RM_INVALID_FACET_NAME": CodeInfo(
        "RM_INVALID_FACET_NAME", Level.ERROR, "Invalid facet name. Expected pattern: [a-zA-Z_](\\w|-| |\\.)*"
    ),
    "RM_EMPTY_COMPONENT_INSTALLER": CodeInfo(
        "RM_EMPTY_COMPONENT_INSTALLER", Level.ERROR, "The component's installer name is mandatory."
    ),
    "RM_INVALID_COMPONENT_INSTALLER": CodeInfo(
        "RM_INVALID_COMPONENT_INSTALLER",
        Level.ERROR,
        "Invalid installer name. Expected pattern: [a-zA-Z_](\\w|-| |\\.)*",
    ),
    "RM_COMPONENT_IMPORTS_EXPORTS": CodeInfo(
        "RM_COMPONENT_IMPORTS_EXPORTS",
        Level.ERROR,
        "The component imports a variable it exports (the import should be marked as optional).",
    ),
    "RM_ROOT_INSTALLER_MUST_BE_TARGET": CodeInfo(
        "RM_ROOT_INSTALLER_MUST_BE_TARGET",
        Level.ERROR,
        "The installer name for root components must be called 'target'.",
    ),
    "RM_EMPTY_VARIABLE_NAME": CodeInfo(
        "RM_EMPTY_VARIABLE_NAME", Level.ERROR, "A variable name cannot be empty or null."
    ),
    "RM_INVALID_VARIABLE_NAME": CodeInfo(
        "RM_INVALID_VARIABLE_NAME", Level.ERROR, "Invalid variable name. Expected pattern: [a-zA-Z_](\\w|-|\\.)*"
    ),
    "RM_INVALID_APPLICATION_EXPORT_PREFIX": CodeInfo(
        "RM_INVALID_APPLICATION_EXPORT_PREFIX",
        Level.ERROR,
        "Invalid prefix for external exports. Expected pattern: [a-zA-Z_](\\w|-| |\\.)*",
    ),
    "RM_MAGIC_INSTANCE_VARIABLE": CodeInfo(
        "RM_MAGIC_INSTANCE_VARIABLE",
        Level.WARNING,
        "A variable is exported in the instance but was not defined in its component.",
    ),
    "RM_MISSING_VARIABLE_VALUE": CodeInfo(
        "RM_MISSING_VARIABLE_VALUE",
        Level.ERROR,
        "All the variables (except network ones, such as IP) must have a value.",
    ),
    "RM_AMBIGUOUS_OVERRIDING": CodeInfo(
        "RM_AMBIGUOUS_OVERRIDING",
        Level.WARNING,
        "An instance variable overrides several ones with the same name (components with inheritance).",
    ),
    "RM_INVALID_EXTERNAL_EXPORT": CodeInfo(
        "RM_INVALID_EXTERNAL_EXPORT",
        Level.ERROR,
        "The application exports a variable that does not exist in the graph.",
    ),
    "RM_ALREADY_DEFINED_EXTERNAL_EXPORT": CodeInfo(
        "RM_ALREADY_DEFINED_EXTERNAL_EXPORT",
        Level.ERROR,
        "The application exports a variable more than once. This is probably a copy/paste error.",
    ),
    "RM_INVALID_RANDOM_KIND": CodeInfo(
        "RM_INVALID_RANDOM_KIND",
        Level.ERROR,
        "A component exports a variable whose value is generated randomly by Roboconf, but its type is invalid.",
    ),
    "RM_NO_VALUE_FOR_RANDOM": CodeInfo(
        "RM_NO_VALUE_FOR_RANDOM",
        Level.ERROR,
        "A component exports a variable whose value is generated randomly by Roboconf, it cannot have a value set in the graph.",
    ),
    "RM_CYCLE_IN_COMPONENTS": CodeInfo("RM_CYCLE_IN_COMPONENTS", Level.ERROR, "A cycle was detected in the graph(s)."),
    "RM_CYCLE_IN_COMPONENTS_INHERITANCE": CodeInfo(
        "RM_CYCLE_IN_COMPONENTS_INHERITANCE",
        Level.ERROR,
        "A component directly or indirectly extends itself. Such a cycle is forbidden.",
    ),
    "RM_CYCLE_IN_FACETS_INHERITANCE": CodeInfo(
        "RM_CYCLE_IN_FACETS_INHERITANCE",
        Level.ERROR,
        "A facet directly or indirectly extends itself. Such a cycle is forbidden.",
    ),
    "RM_NO_ROOT_COMPONENT": CodeInfo("RM_NO_ROOT_COMPONENT", Level.ERROR, "No root component was found in the graph."),
    "RM_NOT_A_ROOT_COMPONENT": CodeInfo(
        "RM_NOT_A_ROOT_COMPONENT",
        Level.ERROR,
        "The graph(s) references a component as a root component while this component has ancestors.",
    ),
    "RM_UNRESOLVABLE_VARIABLE": CodeInfo(
        "RM_UNRESOLVABLE_VARIABLE", Level.ERROR, "A variable is imported but no component exports it."
    ),
    "RM_UNRESOLVABLE_FACET_VARIABLE": CodeInfo(
        "RM_UNRESOLVABLE_FACET_VARIABLE",
        Level.ERROR,
        "A facet variable is imported but no component inherits from this facet.",
    ),
    "RM_EMPTY_INSTANCE_NAME": CodeInfo("RM_EMPTY_INSTANCE_NAME", Level.ERROR, "The instance name cannot be empty."),
    "RM_INVALID_INSTANCE_NAME": CodeInfo(
        "RM_INVALID_INSTANCE_NAME", Level.ERROR, "Invalid instance name. Expected pattern: [a-zA-Z_](\\w|-| |\\.)*"
    ),
    "RM_EMPTY_INSTANCE_COMPONENT": CodeInfo(
        "RM_EMPTY_INSTANCE_COMPONENT", Level.ERROR, "The instance is not associated with a component."
    ),
    "RM_MISSING_INSTANCE_PARENT": CodeInfo(
        "RM_MISSING_INSTANCE_PARENT",
        Level.ERROR,
        "According to the graph(s), this instance should have a parent instance.",
    ),
    "RM_INVALID_INSTANCE_PARENT": CodeInfo(
        "RM_INVALID_INSTANCE_PARENT",
        Level.ERROR,
        "According to the graph(s), this instance cannot have this parent instance.",
    ),
    "RM_UNREACHABLE_COMPONENT": CodeInfo(
        "RM_UNREACHABLE_COMPONENT",
        Level.ERROR,
        "This component will never be instantiated. Only a facet references it as a child and no component uses this facet.",
    ),
    "RM_ORPHAN_FACET": CodeInfo(
        "RM_ORPHAN_FACET", Level.WARNING, "This facet is not used by any component in the graph."
    ),
    "RM_ORPHAN_FACET_WITH_CHILDREN": CodeInfo(
        "RM_ORPHAN_FACET_WITH_CHILDREN",
        Level.WARNING,
        "This facet has children and is not used by any component in the graph.",
    ),
    "PROJ_NO_GRAPH_DIR": CodeInfo(
        "PROJ_NO_GRAPH_DIR",
        Level.ERROR,
        "A Roboconf project must contain a 'graph' directory with the graph(s) definition(s).",
    ),
    "PROJ_NO_DESC_DIR": CodeInfo(
        "PROJ_NO_DESC_DIR",
        Level.ERROR,
        "A Roboconf project must contain a 'descriptor' directory with the application description.",
    ),
    "PROJ_NO_DESC_FILE": CodeInfo(
        "PROJ_NO_DESC_FILE", Level.ERROR, "The application's descriptor was not found (application.properties)."
    ),
    "PROJ_MISSING_GRAPH_EP": CodeInfo(
        "PROJ_MISSING_GRAPH_EP", Level.ERROR, "The entry-point for the graph(s) was not found."
    ),
    "PROJ_MISSING_INSTANCE_EP": CodeInfo(
        "PROJ_MISSING_INSTANCE_EP", Level.ERROR, "The entry-point for the instance(s) was not found."
    ),
    "PROJ_EXTRACT_TEMP": CodeInfo(
        "PROJ_EXTRACT_TEMP", Level.ERROR, "Roboconf failed to extract the ZIP archive (temporary directory)."
    ),
    "PROJ_EXTRACT_ZIP": CodeInfo(
        "PROJ_EXTRACT_ZIP", Level.ERROR, "Roboconf failed to extract the ZIP archive (ZIP reading)."
    ),
    "PROJ_DELETE_TEMP": CodeInfo("PROJ_DELETE_TEMP", Level.WARNING, "Roboconf failed to delete a temporary directory."),
    "PROJ_READ_DESC_FILE": CodeInfo(
        "PROJ_READ_DESC_FILE", Level.ERROR, "The application's descriptor could not be read."
    ),
    "PROJ_INVALID_EXTERNAL_EXPORTS": CodeInfo(
        "PROJ_INVALID_EXTERNAL_EXPORTS",
        Level.ERROR,
        "Invalid external exports were found in the application's descriptor.",
    ),
    "PROJ_NO_RESOURCE_DIRECTORY": CodeInfo(
        "PROJ_NO_RESOURCE_DIRECTORY", Level.WARNING, "A graph(s) component has no resource (recipe) directory."
    ),
    "PROJ_APPLICATION_TEMPLATE_NOT_FOUND": CodeInfo(
        "PROJ_APPLICATION_TEMPLATE_NOT_FOUND", Level.ERROR, "The application template was not found."
    ),
    "PROJ_INVALID_COMMAND_EXT": CodeInfo(
        "PROJ_INVALID_COMMAND_EXT", Level.ERROR, "A command script file must use the .commands extension."
    ),
    "PROJ_INVALID_RULE_EXT": CodeInfo(
        "PROJ_INVALID_RULE_EXT", Level.ERROR, "An autonomic rule file must use the .drl extension."
    ),
    "PROJ_UNREACHABLE_FILE": CodeInfo(
        "PROJ_UNREACHABLE_FILE",
        Level.WARNING,
        "This file is not reachable from the application's descriptor. Maybe this file should be imported somewhere.",
    ),
    "PROJ_INVALID_FILE_LOCATION": CodeInfo(
        "PROJ_INVALID_FILE_LOCATION", Level.WARNING, "This file should not be located in this directory."
    ),
    "REC_PUPPET_DISLIKES_WILDCARD_IMPORTS": CodeInfo(
        "REC_PUPPET_DISLIKES_WILDCARD_IMPORTS",
        Level.WARNING,
        "Puppet modules may encounter problems with Roboconf wildcard imports.",
    ),
    "REC_PUPPET_HAS_NO_RBCF_MODULE": CodeInfo(
        "REC_PUPPET_HAS_NO_RBCF_MODULE",
        Level.ERROR,
        "There must be a Puppet module whose name starts with 'roboconf_'.",
    ),
    "REC_PUPPET_HAS_TOO_MANY_RBCF_MODULES": CodeInfo(
        "REC_PUPPET_HAS_TOO_MANY_RBCF_MODULES",
        Level.ERROR,
        "There must be only ONE Puppet module whose name starts with 'roboconf_'.",
    ),
    "REC_PUPPET_MISSING_PARAM_IMPORT_DIFF": CodeInfo(
        "REC_PUPPET_MISSING_PARAM_IMPORT_DIFF",
        Level.ERROR,
        "Puppet scripts that handle updates must have an 'importDiff' parameter.",
    ),
    "REC_PUPPET_MISSING_PARAM_RUNNING_STATE": CodeInfo(
        "REC_PUPPET_MISSING_PARAM_RUNNING_STATE", Level.ERROR, "Puppet scripts must have a 'runningState' parameter."
    ),
    "REC_PUPPET_MISSING_PARAM_FROM_IMPORT": CodeInfo(
        "REC_PUPPET_MISSING_PARAM_FROM_IMPORT",
        Level.WARNING,
        "Component imports mean the Puppet module must have matching parameters.",
    ),
    "REC_PUPPET_SYNTAX_ERROR": CodeInfo(
        "REC_PUPPET_SYNTAX_ERROR", Level.ERROR, "The 'puppet parser validate' found errors in a PP file."
    ),
    "REC_SCRIPT_NO_SCRIPTS_DIR": CodeInfo(
        "REC_SCRIPT_NO_SCRIPTS_DIR", Level.ERROR, "Scripts must be placed under a 'scripts' directory."
    ),
    "REC_ARTIFACT_ID_IN_LOWER_CASE": CodeInfo(
        "REC_ARTIFACT_ID_IN_LOWER_CASE", Level.WARNING, "Recipe projects' artifact ID should be in lower case."
    ),
    "REC_MISSING_README": CodeInfo(
        "REC_MISSING_README", Level.WARNING, "Recipe projects should contain a readme file."
    ),
    "REC_OFFICIAL_GROUP_ID": CodeInfo(
        "REC_OFFICIAL_GROUP_ID",
        Level.WARNING,
        "The Maven group ID for official recipe projects should start with net.roboconf.recipes.",
    ),
    "REC_NON_MATCHING_ARTIFACT_ID": CodeInfo(
        "REC_NON_MATCHING_ARTIFACT_ID",
        Level.WARNING,
        "Recipe projects' directories should have the same name than their artifact ID.",
    ),
    "REC_AVOID_INSTANCES": CodeInfo(
        "REC_AVOID_INSTANCES", Level.WARNING, "Recipe projects do not have to contain instances definitions."
    ),
    "REC_TARGET_NO_ID": CodeInfo("REC_TARGET_NO_ID", Level.ERROR, "The target ID is missing or invalid."),
    "REC_TARGET_NO_HANDLER": CodeInfo(
        "REC_TARGET_NO_HANDLER", Level.ERROR, "The target handler is missing or invalid."
    ),
    "REC_TARGET_INVALID_FILE_OR_CONTENT": CodeInfo(
        "REC_TARGET_INVALID_FILE_OR_CONTENT", Level.ERROR, "The target properties could not be parsed."
    ),
    "REC_TARGET_CONFLICTING_ID": CodeInfo(
        "REC_TARGET_CONFLICTING_ID", Level.ERROR, "A target ID is used more than once."
    ),
    "REC_TARGET_NO_NAME": CodeInfo("REC_TARGET_NO_NAME", Level.WARNING, "The target name is missing or invalid."),
    "REC_TARGET_NO_PROPERTIES": CodeInfo("REC_TARGET_NO_PROPERTIES", Level.ERROR, "No target properties were found."),
    "CMD_INVALID_TARGET_ID": CodeInfo(
        "CMD_INVALID_TARGET_ID", Level.ERROR, "An invalid target ID was specified in the command."
    ),
    "CMD_NO_MATCHING_INSTANCE": CodeInfo(
        "CMD_NO_MATCHING_INSTANCE", Level.ERROR, "No instance was found. A command was probably not written correctly."
    ),
    "CMD_NOT_AN_ACCEPTABLE_PARENT": CodeInfo(
        "CMD_NOT_AN_ACCEPTABLE_PARENT", Level.ERROR, "This component cannot be instantiated under this instance."
    ),
    "CMD_CANNOT_HAVE_ANY_PARENT": CodeInfo(
        "CMD_CANNOT_HAVE_ANY_PARENT",
        Level.ERROR,
        "This component cannot have any parent. It cannot be instantiated under this instance.",
    ),
    "CMD_NOT_A_SCOPED_INSTANCE": CodeInfo(
        "CMD_NOT_A_SCOPED_INSTANCE",
        Level.ERROR,
        "An instance was supposed to be associated with the 'target' installer.",
    ),
    "CMD_NOT_A_ROOT_INSTANCE": CodeInfo(
        "CMD_NOT_A_ROOT_INSTANCE", Level.ERROR, "This instruction can only be applied to root instances (no parent)."
    ),
    "CMD_UNRECOGNIZED_INSTRUCTION": CodeInfo(
        "CMD_UNRECOGNIZED_INSTRUCTION", Level.ERROR, "This instruction was not recognized."
    ),
    "CMD_INVALID_INSTANCE_STATUS": CodeInfo(
        "CMD_INVALID_INSTANCE_STATUS", Level.ERROR, "An instance status was expected."
    ),
    "CMD_INSTABLE_INSTANCE_STATUS": CodeInfo(
        "CMD_INSTABLE_INSTANCE_STATUS", Level.ERROR, "Instance status changes are only valid with stable statuses."
    ),
    "CMD_EMPTY_VARIABLE_NAME": CodeInfo(
        "CMD_EMPTY_VARIABLE_NAME", Level.ERROR, "Variables in Roboconf commands must have a name."
    ),
    "CMD_MISSING_INSTANCE_NAME": CodeInfo("CMD_MISSING_INSTANCE_NAME", Level.ERROR, "An instance name was expected."),
    "CMD_INVALID_INSTANCE_NAME": CodeInfo(
        "CMD_INVALID_INSTANCE_NAME",
        Level.ERROR,
        "Instance names must respect the following pattern: [a-zA-Z_](\\w|-| |\\.)*",
    ),
    "CMD_MISSING_COMPONENT_NAME": CodeInfo(
        "CMD_MISSING_COMPONENT_NAME", Level.ERROR, "A component name was expected in the command."
    ),
    "CMD_INEXISTING_COMPONENT": CodeInfo(
        "CMD_INEXISTING_COMPONENT", Level.ERROR, "The component referenced in the command does not exist in the graph."
    ),
    "CMD_MISSING_PARENT_INSTANCE": CodeInfo(
        "CMD_MISSING_PARENT_INSTANCE", Level.ERROR, "A parent instance path was expected in the command."
    ),
    "CMD_CONFLICTING_INSTANCE_NAME": CodeInfo(
        "CMD_CONFLICTING_INSTANCE_NAME", Level.ERROR, "A sibling instance with this name already exists."
    ),
    "CMD_EMAIL_NO_MESSAGE": CodeInfo("CMD_EMAIL_NO_MESSAGE", Level.ERROR, "The e-mail message cannot be empty."),
    "CMD_NO_INSTRUCTION": CodeInfo("CMD_NO_INSTRUCTION", Level.WARNING, "No valid instruction was found in the file."),
    "CMD_UNRESOLVED_VARIABLE": CodeInfo(
        "CMD_UNRESOLVED_VARIABLE", Level.ERROR, "A variable is used in a command but it could not be resolved."
    ),
    "CMD_INVALID_SYNTAX": CodeInfo(
        "CMD_INVALID_SYNTAX", Level.ERROR, "Invalid syntax for this command. Please, refer to the documentation."
    ),
    "CMD_MISSING_TARGET_FILE": CodeInfo("CMD_MISSING_TARGET_FILE", Level.ERROR, "The target file is missing."),
    "CMD_MISSING_COMMAND_NAME": CodeInfo("CMD_MISSING_COMMAND_NAME", Level.ERROR, "The command name is missing."),
    "CMD_INEXISTING_COMMAND": CodeInfo(
        "CMD_INEXISTING_COMMAND", Level.ERROR, "There is no command file with this name."
    ),
    "CMD_INEXISTING_COMMAND_FILE": CodeInfo(
        "CMD_INEXISTING_COMMAND_FILE",
        Level.ERROR,
        "The command file does not exist. This can happen when Roboconf's Java API are not used correctly.",
    ),
    "CMD_LOOPING_COMMAND": CodeInfo(
        "CMD_LOOPING_COMMAND", Level.ERROR, "A command file cannot invoke itself recursively."
    ),
    "CMD_NASTY_LOOPING_COMMAND": CodeInfo(
        "CMD_NASTY_LOOPING_COMMAND",
        Level.ERROR,
        "An 'execute' instruction cannot invoke a *.commands file that contains this same instruction.",
    ),
    "CMD_INVALID_DATE_PATTERN": CodeInfo(
        "CMD_INVALID_DATE_PATTERN",
        Level.ERROR,
        "Invalid date pattern for a formatted time variable. Please, refer to the Javadoc of the JDK's SimpleDateFormat class.",
    ),
    "CMD_NO_MIX_FOR_PATTERNS": CodeInfo(
        "CMD_NO_MIX_FOR_PATTERNS",
        Level.ERROR,
        "Formatted date variables must be alone on their line (no other text, no other variable).",
    ),
    "CMD_INVALID_INDEX_PATTERN": CodeInfo(
        "CMD_INVALID_INDEX_PATTERN",
        Level.ERROR,
        "Invalid index query. Please, refer to the documentation for examples.",
    ),
    "RULE_IO_ERROR": CodeInfo("RULE_IO_ERROR", Level.ERROR, "I/O error while reading a rule file."),
    "RULE_EMPTY_NAME": CodeInfo("RULE_EMPTY_NAME", Level.ERROR, "The rule name cannot be empty."),
    "RULE_INVALID_SYNTAX": CodeInfo(
        "RULE_INVALID_SYNTAX", Level.ERROR, "Invalid syntax for this command. Please, refer to the documentation."
    ),
    "RULE_EMPTY_WHEN": CodeInfo(
        "RULE_EMPTY_WHEN", Level.ERROR, "The WHEN section cannot be empty, Roboconf events must be specified."
    ),
    "RULE_EMPTY_THEN": CodeInfo(
        "RULE_EMPTY_THEN", Level.ERROR, "The THEN section cannot be empty, Roboconf commands must be listed."
    ),
    "RULE_UNKNOWN_COMMAND": CodeInfo(
        "RULE_UNKNOWN_COMMAND", Level.ERROR, "Invalid syntax in rule file. This command could not be found."
    ),
    "REST_TARGET_CONTAINS_ERROR": CodeInfo(
        "REST_TARGET_CONTAINS_ERROR", Level.ERROR, "Target properties contain errors."
    ),
    "REST_TARGET_ASSOCIATION_ERROR": CodeInfo("REST_TARGET_ASSOCIATION_ERROR", Level.ERROR, "The association failed."),
    "REST_TARGET_HINT_ERROR": CodeInfo("REST_TARGET_HINT_ERROR", Level.ERROR, "Hint definition failed."),
    "REST_AUTH_NO_MNGR": CodeInfo("REST_AUTH_NO_MNGR", Level.ERROR, "No authentication manager was available."),
    "REST_AUTH_FAILED": CodeInfo("REST_AUTH_FAILED", Level.ERROR, "Authentication failed."),
    "REST_SCHEDULER_IS_UNAVAILABLE": CodeInfo(
        "REST_SCHEDULER_IS_UNAVAILABLE", Level.ERROR, "Roboconf's scheduler is not available."
    ),
    "REST_INEXISTING": CodeInfo("REST_INEXISTING", Level.ERROR, "This element does not exist."),
    "REST_MISSING_PROPERTY": CodeInfo("REST_MISSING_PROPERTY", Level.ERROR, "A property is missing."),
    "REST_DELETION_ERROR": CodeInfo("REST_DELETION_ERROR", Level.ERROR, "Deletion failed."),
    "REST_IO_ERROR": CodeInfo("REST_IO_ERROR", Level.ERROR, "An input / output error occurred."),
    "REST_UNDETAILED_ERROR": CodeInfo("REST_UNDETAILED_ERROR", Level.ERROR, "No detail is available."),
    "REST_MESSAGING_ERROR": CodeInfo("REST_MESSAGING_ERROR", Level.ERROR, "A messaging error occurred."),
    "REST_SAVE_ERROR": CodeInfo("REST_SAVE_ERROR", Level.ERROR, "The save operation failed."),
    "REST_MNGMT_ZIP_ERROR": CodeInfo("REST_MNGMT_ZIP_ERROR", Level.ERROR, "The ZIP file could not be open."),
    "REST_MNGMT_INVALID_TPL": CodeInfo("REST_MNGMT_INVALID_TPL", Level.ERROR, "The application template is invalid."),
    "REST_MNGMT_INVALID_URL": CodeInfo("REST_MNGMT_INVALID_URL", Level.ERROR, "Invalid URL."),
    "REST_MNGMT_CONFLICT": CodeInfo("REST_MNGMT_CONFLICT", Level.ERROR, "Conflicting element."),
    "REST_MNGMT_APP_SHUTDOWN_ERROR": CodeInfo(
        "REST_MNGMT_APP_SHUTDOWN_ERROR", Level.ERROR, "The application could not be shutdown."
    ),
    "REST_MNGMT_INVALID_IMAGE": CodeInfo("REST_MNGMT_INVALID_IMAGE", Level.ERROR, "This image is invalid or too big."),
    "REST_APP_EXEC_ERROR": CodeInfo("REST_APP_EXEC_ERROR", Level.ERROR, "The command failed to be executed."),
    "REST_DEBUG_AGENT_KO": CodeInfo("REST_DEBUG_AGENT_KO", Level.ERROR, "The agent was not started."),
    "REST_DEBUG_MSG_SENT": CodeInfo("REST_DEBUG_MSG_SENT", Level.ERROR, "A message was successfully sent."),
}


def info(code: str) -> CodeInfo:
    """Return the catalogue entry of ``code``; unknown codes are a programming error."""
    return CODES[code]
