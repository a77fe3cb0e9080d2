#!/bin/sh
set -eu
service mysql stop
