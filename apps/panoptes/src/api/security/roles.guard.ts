import { CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Role } from './api-keys';
import { AuthedRequest } from './api-auth.middleware';

const ROLE_KEY = 'panoptes:role';

/** The role a route needs; routes without it need any valid key (read). */
export const RequireRole = (role: Role) => SetMetadata(ROLE_KEY, role);

/** Refuses (403) a read key on a route that needs admin. Authentication itself is apiAuth's. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const need = this.reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (need !== 'admin') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    if (req.role === 'admin') return true;
    throw new ForbiddenException('this needs an admin API key; the key sent has the read role');
  }
}
