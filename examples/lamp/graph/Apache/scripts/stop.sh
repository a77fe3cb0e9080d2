#!/bin/sh
set -eu
service apache2 stop
