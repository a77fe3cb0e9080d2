#!/bin/sh
set -eu
service tomcat8 stop
